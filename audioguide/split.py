"""`split`: a source (article file, page URL, feed, EPUB) written out as editable narration scripts.

Each article becomes a folder of scripts (see `narration.write_scripts`, which never overwrites
a script edited by hand); a feed's or a book's own title, author and language go into the guide's
settings, and a book's cover or a feed's image beside them, the first time the scripts folder is made.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

from audioguide import cover, narration
from audioguide.files import write_atomic
from audioguide.guide import SourceRead, read_source
from audioguide.narration import SplitReport
from audioguide.settings import GUIDE_FILE


def split_source(
    source: Path | str, scripts_dir: Path, *, force: bool = False, latest: int | None = None
) -> tuple[SourceRead, list[SplitReport]]:
    """Read `source` and write the scripts of each of its articles under `scripts_dir`."""
    read = read_source(source, latest=latest)
    settings = read.settings
    if read.cover is not None and not (scripts_dir / GUIDE_FILE).exists():
        picture, mime = cover.artwork(read.cover, str(source))
        name = "cover.png" if mime == "image/png" else "cover.jpg"
        write_atomic(scripts_dir / name, picture)
        settings = dataclasses.replace(settings, image=name)
    reports = [
        narration.write_scripts(parsed, scripts_dir, force=force, source=str(source), episode=meta, guide=settings)
        for parsed, meta in read.episodes
    ]
    return read, reports
