"""Tests of the datasets, one folder each."""
