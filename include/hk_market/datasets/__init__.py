"""One folder per dataset, all the same shape: schema, parse, live, sample, rules."""
