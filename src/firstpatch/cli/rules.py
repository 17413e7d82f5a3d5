"""`firstpatch rules`: the analysis rules and what they mean."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from firstpatch.analysis.rules import RULES
from firstpatch.cli.app import app


@app.command()
def rules() -> None:
    """List every analysis rule with its CWE and description."""
    table = Table("rule", "CWE", "severity", "description", show_lines=True)
    for rule in RULES:
        table.add_row(rule.id, f"CWE-{rule.cwe}", rule.severity.value, rule.description)
    Console().print(table)
