"""Lot folders as the print shop sees them."""

from __future__ import annotations

from pathlib import Path

from postroom.documents.lot_files import TEMP_PREFIX


def handed_over_manifests(output_dir: Path) -> list[Path]:
    """The manifests of the lots in the output folder, leaving out folders still being
    written (.tmp-…): their manifest may be there before the print file is."""
    return [
        manifest
        for manifest in sorted(output_dir.glob("*/manifest.json"))
        if not manifest.parent.name.startswith(TEMP_PREFIX)
    ]
