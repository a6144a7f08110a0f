"""The Great Expectations Data Docs site: gx/data_docs/ beside the landing zone, one page per documented
validation, readable without a network.

build() documents a report's validation as Great Expectations documents it: a Checkpoint of the dataset's suite
whose UpdateDataDocsAction renders the validation's page, the suite's page and the index, the validation result
kept as JSON under gx/validations/. GE's pages load jQuery, Bootstrap, bootstrap-table and Font Awesome from CDNs
(the index is blank without them: bootstrap-table draws its tables); build() points every page it renders at copies
under the site's static/vendor/, from the pinned xstatic packages and, as no package ships bootstrap-table,
data_docs_assets/ (its MIT dist files, from npm's bootstrap-table 1.19.1, the version GE's pages name).
"""

from __future__ import annotations

import fcntl
import logging
import os
import re
import shutil
from functools import cache
from pathlib import Path
from urllib.parse import unquote, urlparse

from hk_market import calendar, expectations, settings
from hk_market.expectations import ValidationReport

log = logging.getLogger(__name__)

SITE = "local_site"
DATA_DOCS_VALIDATIONS_LISTED = 30  # the index lists the latest (its cost grows with each one listed)
VENDOR = Path("static", "vendor")
ASSETS = Path(__file__).with_name("data_docs_assets")
# Each CDN address GE 1.24's pages load -> its copy under VENDOR, or None for what a validation page does not need.
LOCAL_COPIES = {
    "https://code.jquery.com/jquery-3.7.1.min.js": "jquery/jquery.min.js",
    "https://maxcdn.bootstrapcdn.com/bootstrap/4.3.1/css/bootstrap.min.css": "bootstrap/css/bootstrap.min.css",
    "https://stackpath.bootstrapcdn.com/bootstrap/4.3.1/js/bootstrap.min.js": "bootstrap/js/bootstrap.bundle.min.js",
    "https://cdnjs.cloudflare.com/ajax/libs/popper.js/1.12.9/umd/popper.min.js": None,  # in Bootstrap's bundle
    "https://unpkg.com/bootstrap-table@1.19.1/dist/bootstrap-table.min.css": "bootstrap-table/bootstrap-table.min.css",
    "https://unpkg.com/bootstrap-table@1.19.1/dist/bootstrap-table.min.js": "bootstrap-table/bootstrap-table.min.js",
    "https://unpkg.com/bootstrap-table@1.19.0/dist/extensions/filter-control/bootstrap-table-filter-control.min.css":
        "bootstrap-table/bootstrap-table-filter-control.min.css",
    "https://unpkg.com/bootstrap-table@1.19.0/dist/extensions/filter-control/bootstrap-table-filter-control.css":
        "bootstrap-table/bootstrap-table-filter-control.min.css",
    "https://unpkg.com/bootstrap-table@1.19.1/dist/extensions/filter-control/bootstrap-table-filter-control.min.js":
        "bootstrap-table/bootstrap-table-filter-control.min.js",
    "https://cdnjs.cloudflare.com/ajax/libs/font-awesome/6.6.0/css/all.min.css": "font-awesome/css/all.min.css",
    "https://cdn.jsdelivr.net/npm/vega@5": None,  # charts of profiling pages
    "https://cdn.jsdelivr.net/npm/vega-lite@5": None,
    "https://cdn.jsdelivr.net/npm/vega-embed@6": None,
    # the index's run time filter; 1.4 is the newest of xstatic-bootstrap-datepicker
    "https://cdnjs.cloudflare.com/ajax/libs/bootstrap-datepicker/1.9.0/css/bootstrap-datepicker.min.css":
        "bootstrap-datepicker/bootstrap-datepicker.standalone.css",
    "https://cdnjs.cloudflare.com/ajax/libs/bootstrap-datepicker/1.9.0/js/bootstrap-datepicker.min.js":
        "bootstrap-datepicker/bootstrap-datepicker.js",
    "https://cdn.jsdelivr.net/npm/@forevolve/bootstrap-dark@1.1.0/dist/css/bootstrap-prefers-dark.css": None,
}
ASSET_TAG = re.compile(r'<(script|link)\b[^>]*?\b(?:src|href)="(https://[^"]+)"[^>]*>(?:\s*</script>)?')
# GE's logo, fetched with the site's id from its web assets bucket; the site ships the same file in static/images.
LOGO = re.compile(r'"https://great-expectations-web-assets\.s3\.[\w.-]+\.amazonaws\.com/([\w.-]+)(?:\?[^"]*)?"')


def site_dir() -> Path:
    """The Data Docs site: gx/data_docs/ beside the landing zone (the project's gx/ by default)."""
    return _gx_dir() / "data_docs"


def _gx_dir() -> Path:
    return settings.landing_dir().parent / "gx"


def build(report: ValidationReport, run_id: str) -> Path | None:
    """Add the report's validation to the Data Docs site; returns its page (None if the site could not be
    updated).

    The index lists the DATA_DOCS_VALIDATIONS_LISTED latest validations: a run's cost does not grow with history,
    and every page stays on disk. The site is a view of audit.validation_results, so a failure to build it is
    logged, not raised.
    """
    root = _gx_dir()
    root.mkdir(parents=True, exist_ok=True)
    with (root / ".lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # builders in other processes share index.html
        try:
            checkpoint = _checkpoint(root, report.dataset)
            result = checkpoint.run(
                batch_parameters={"dataframe": report.checked}, expectation_parameters=report.parameters,
                run_id=expectations.import_great_expectations().RunIdentifier(run_name=_file_name(run_id)),
            )
            page = _page(root, next(iter(result.run_results)))
            site = site_dir()
            _copy_assets(site)
            for rendered in (page, site / "expectations" / f"{report.dataset}.html", site / "index.html"):
                _use_local_copies(rendered, site)
            return page
        except Exception:
            log.exception("%s %s: Data Docs not updated in %s", report.dataset,
                          calendar.describe_days(report.sessions), root)
            return None


def _file_name(run_id: str) -> str:
    """The run id as one safe path segment (it names a directory under gx/)."""
    return re.sub(r"[^A-Za-z0-9_.:+-]+", "_", run_id).lstrip(".") or "run"


@cache
def _checkpoint(root: Path, dataset: str):
    """The dataset's Checkpoint in the site's context: its validation definition, and UpdateDataDocsAction."""
    gx = expectations.import_great_expectations()
    context = _context(root)
    validation = expectations.register(context, dataset)
    return context.checkpoints.add(
        gx.Checkpoint(
            name=dataset, validation_definitions=[validation], result_format=dict(expectations.SUMMARY_FORMAT),
            actions=[gx.checkpoint.UpdateDataDocsAction(name="update_data_docs", site_names=[SITE])],
        )
    )


def _page(root: Path, key) -> Path:
    """The file of a validation result's page, as the context gives its address."""
    (site,) = _context(root).get_docs_sites_urls(resource_identifier=key, site_name=SITE)
    return Path(unquote(urlparse(site["site_url"]).path))


@cache
def _context(root: Path):
    """An ephemeral GE context whose suites, validation results and Data Docs site are files under root."""
    gx = expectations.import_great_expectations()
    from great_expectations.data_context.types.base import DataContextConfig, ProgressBarsConfig

    def files(directory: str) -> dict:
        return {"class_name": "TupleFilesystemStoreBackend", "base_directory": str(root / directory)}

    in_memory = {"class_name": "InMemoryStoreBackend"}
    config = DataContextConfig(
        stores={
            "expectations_store": {"class_name": "ExpectationsStore", "store_backend": files("expectations")},
            "validation_results_store": {"class_name": "ValidationResultsStore", "store_backend": files("validations")},
            "checkpoint_store": {"class_name": "CheckpointStore", "store_backend": in_memory},
            "validation_definition_store": {"class_name": "ValidationDefinitionStore", "store_backend": in_memory},
        },
        expectations_store_name="expectations_store",
        validation_results_store_name="validation_results_store",
        checkpoint_store_name="checkpoint_store",
        data_docs_sites={
            SITE: {
                "class_name": "SiteBuilder",
                "show_how_to_buttons": False,
                "store_backend": files("data_docs"),
                "site_index_builder": {
                    "class_name": "DefaultSiteIndexBuilder",
                    "validation_results_limit": DATA_DOCS_VALIDATIONS_LISTED,
                },
            }
        },
        analytics_enabled=False,
        progress_bars=ProgressBarsConfig(globally=False),
    )
    return gx.get_context(project_config=config, mode="ephemeral")


def _copy_assets(site: Path) -> None:
    """The files LOCAL_COPIES names, under the site's VENDOR (once: a finished copy leaves its marker)."""
    import xstatic.pkg.bootstrap
    import xstatic.pkg.bootstrap_datepicker
    import xstatic.pkg.font_awesome
    import xstatic.pkg.jquery

    vendor = site / VENDOR
    marker = vendor / "complete"
    if marker.exists():
        return
    font_awesome = Path(xstatic.pkg.font_awesome.BASE_DIR)
    for source, target in [
        (xstatic.pkg.jquery.BASE_DIR, "jquery"),
        (xstatic.pkg.bootstrap.BASE_DIR, "bootstrap"),
        (xstatic.pkg.bootstrap_datepicker.BASE_DIR, "bootstrap-datepicker"),
        (font_awesome / "css", "font-awesome/css"),
        (font_awesome / "webfonts", "font-awesome/webfonts"),
        (ASSETS / "bootstrap-table-1.19.1", "bootstrap-table"),
    ]:
        shutil.copytree(source, vendor / target, dirs_exist_ok=True)
    marker.touch()


def _use_local_copies(page: Path, site: Path) -> None:
    """Rewrite the page's CDN tags to load LOCAL_COPIES' files, and its logo from the site's static/images.
    An address not in LOCAL_COPIES is left as it is (the offline browser test names it)."""
    to_site = Path(os.path.relpath(site, page.parent)).as_posix()

    def local(match: re.Match) -> str:
        tag, address = match.groups()
        if address not in LOCAL_COPIES:
            return match.group(0)
        copy = LOCAL_COPIES[address]
        if copy is None:
            return ""
        path = f"{to_site}/{VENDOR.as_posix()}/{copy}"
        return f'<script src="{path}"></script>' if tag == "script" else f'<link rel="stylesheet" href="{path}">'

    html = ASSET_TAG.sub(local, page.read_text())
    page.write_text(LOGO.sub(lambda match: f'"{to_site}/static/images/{match.group(1)}"', html))
