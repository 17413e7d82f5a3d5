"""`--format json`: the findings-v1 document, checked against its own schema before it leaves."""

from __future__ import annotations

import functools
import json

from jsonschema import Draft202012Validator
from jsonschema.exceptions import best_match

from firstpatch.model import Run, run_document, schema
from firstpatch.report.interface import InvalidReportError, Reporter


@functools.cache
def _validator() -> Draft202012Validator:
    return Draft202012Validator(schema(), format_checker=Draft202012Validator.FORMAT_CHECKER)


class JsonReporter(Reporter):
    format = "json"

    def render(self, run: Run) -> str:
        document = run_document(run)
        # The schema is the contract with every consumer; a report that breaks it is our bug,
        # and is better stopped here than found by someone's parser.
        error = best_match(_validator().iter_errors(document))
        if error is not None:
            where = "/".join(str(part) for part in error.absolute_path) or "(root)"
            raise InvalidReportError(f"JSON report breaks findings-v1 at {where}: {error.message}")
        # Sorted keys keep the output byte-stable whatever order the dataclass fields take.
        return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
