"""Data in and out: imports (CSV, xlsx, DHIS2, Kobo/ODK) as one transaction, their format readers
and lazy checks, mapping files, the Excel template, exports, and the collaborative definition
(YAML).
"""

from workbench.ingest.importer import (
    FORMATS,
    ImportResult,
    current_values,
    detect_format,
    fetch_tuples,
    import_file,
    read_candidates,
)

__all__ = [
    "FORMATS",
    "ImportResult",
    "detect_format",
    "read_candidates",
    "import_file",
    "current_values",
    "fetch_tuples",
]
