"""The report's Chinese font, cut to the characters the page uses and embedded in it.

Why not simply name the system font: Noto CJK draws some ideographs with the same shape as
a Kangxi radical (月 and ⽉, 户 and ⼾, 门 and ⻔), and Chromium's PDF then records the
radical as the text of that shape, so copying or searching the PDF finds "⻔限" instead of
"门限". A subset holding only the page's own characters maps each shape to one character,
the right one. It is also small (some 150 kB a weight) and needs no network: the font is
the machine's (fonts-noto-cjk), found by fontconfig, and travels inside the page as a
``data:`` URL. Without it the page falls back to the system's fonts by name.
"""

from __future__ import annotations

import base64
import subprocess
from io import BytesIO

FAMILY = "Report CJK"
"""The name the page's CSS uses for the embedded font."""
FACES = {400: "Noto Sans CJK SC:weight=regular", 700: "Noto Sans CJK SC:bold"}
"""The weights embedded, and how fontconfig finds each."""


def locate(pattern: str) -> tuple[str, int] | None:
    """The font file and face index fontconfig picks for ``pattern`` if it is a Noto CJK."""
    try:
        found = subprocess.run(
            ["fc-match", "-f", "%{file}|%{index}|%{family}", pattern],
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    path, _, rest = found.partition("|")
    index, _, family = rest.partition("|")
    if "CJK" not in family or not index.isdigit():
        return None  # fontconfig fell back to a font without Chinese: do not embed it
    return path, int(index)


def subset(path: str, index: int, text: str) -> bytes:
    """The font with only the glyphs (and cmap entries) of ``text``'s characters."""
    from fontTools import subset as cut
    from fontTools.ttLib import TTFont

    font = TTFont(path, fontNumber=index, lazy=True)
    options = cut.Options()
    options.layout_features = ["*"]
    options.notdef_outline = True
    subsetter = cut.Subsetter(options)
    subsetter.populate(text=text)
    subsetter.subset(font)
    out = BytesIO()
    font.save(out)
    return out.getvalue()


def font_faces(text: str) -> str:
    """CSS ``@font-face`` rules embedding the subset font for ``text``, or "" when the
    machine has no Noto CJK (the page then names the system fonts only)."""
    rules = []
    for weight, pattern in FACES.items():
        found = locate(pattern)
        if found is None:
            continue
        data = base64.b64encode(subset(*found, text)).decode("ascii")
        rules.append(
            f'@font-face {{ font-family: "{FAMILY}"; font-weight: {weight}; '
            f'src: url(data:font/otf;base64,{data}) format("opentype"); }}'
        )
    return "\n".join(rules)
