"""The README is a front door a newcomer can read, and the docs behind it point at what is really here."""

import ast
import re
import subprocess
from pathlib import Path

import pytest

from hk_market import settings

PROJECT = settings.PROJECT_ROOT
README = PROJECT / "README.md"
DOCS = sorted((PROJECT / "docs").glob("*.md"))
PAGES = [README, *DOCS]
DAGS = sorted((PROJECT / "dags").glob("*.py"))
LINK = re.compile(r"(?<!!)\[[^\]]*\]\((?P<target>[^)\s]+)\)")
HEADING = re.compile(r"^#{1,6} (?P<title>.+)$", re.MULTILINE)


def page_id(path: Path) -> str:
    return str(path.relative_to(PROJECT))


def relative_links(page: Path) -> list[str]:
    return [link for link in LINK.findall(page.read_text()) if not re.match(r"[a-z]+:|#", link)]


def anchor(title: str) -> str:
    """GitHub's id for a heading: lower case, punctuation dropped, spaces as hyphens."""
    return re.sub(r"[^\w\- ]", "", title.strip().lower()).replace(" ", "-")


def test_the_readme_is_at_most_ten_kilobytes():
    assert len(README.read_bytes()) <= 10 * 1024


def test_the_readmes_two_commands_are_make_run_and_make_test():
    section = README.read_text().split("## Two commands", 1)[1].split("\n## ", 1)[0]
    block = section.split("```sh\n", 1)[1].split("```", 1)[0]
    assert [line.split("#")[0].strip() for line in block.splitlines()] == ["make run", "make test"]


@pytest.mark.parametrize("page", PAGES, ids=page_id)
def test_every_relative_link_points_at_a_file_or_heading_in_the_repository(page):
    broken = []
    for link in relative_links(page):
        path, _, fragment = link.partition("#")
        target = (page.parent / path).resolve() if path else page
        inside = target.is_relative_to(PROJECT) and target.exists()
        if not inside or (fragment and target.suffix == ".md" and fragment not in {
                anchor(title) for title in HEADING.findall(target.read_text())}):
            broken.append(link)
    assert not broken, f"{page_id(page)} links to what the repository does not have: {broken}"


def test_nothing_in_the_repository_cites_the_design_notes_outside_it():
    tracked = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard"], cwd=PROJECT,
                             check=True, capture_output=True, text=True).stdout.split()
    citing = []
    for name in tracked:
        path = PROJECT / name
        if path == Path(__file__) or not path.is_file() or path.suffix not in {".md", ".py", ".sql", ".txt", ""}:
            continue
        text = path.read_text(errors="replace")
        if "../shared" in text or "DESIGN.md" in text:
            citing.append(name)
    assert not citing, f"these cite files outside the repository: {citing}"


@pytest.mark.parametrize("page", PAGES, ids=page_id)
def test_every_make_command_a_page_names_is_a_makefile_target(page):
    targets = set(re.findall(r"^([\w-]+):", (PROJECT / "Makefile").read_text(), re.MULTILINE))
    named = set(re.findall(r"`make ([\w-]+)", page.read_text()))
    assert named <= targets, f"{page_id(page)} names make targets the Makefile lacks: {named - targets}"


@pytest.mark.parametrize("page", PAGES, ids=page_id)
def test_every_hk_market_setting_a_page_names_is_read_by_the_project(page):
    code = "".join(path.read_text() for folder in ("include", "cluster", "bench")
                   for path in (PROJECT / folder).rglob("*") if path.suffix in {".py", ".sh"})
    code += (PROJECT / "docker-compose.yaml").read_text() + (PROJECT / "Makefile").read_text()
    unread = {name for name in re.findall(r"(?<![A-Z_])HK_MARKET_[A-Z_]+", page.read_text()) if name not in code}
    assert not unread, f"{page_id(page)} names settings nothing reads: {unread}"


@pytest.mark.parametrize("dag_file", DAGS, ids=lambda path: path.name)
def test_a_dags_doc_is_about_ten_lines_and_names_docs_that_exist(dag_file):
    doc = ast.get_docstring(ast.parse(dag_file.read_text()))
    assert len(doc.splitlines()) <= 16
    named = re.findall(r"docs/[\w-]+\.md", doc)
    assert named and all((PROJECT / path).is_file() for path in named), named
