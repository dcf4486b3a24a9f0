"""Draw ``dashboards/assets/page_icon.png``, the dashboard's browser-tab icon.

Streamlit turns a ``:material/...:`` page icon into a link to Google's font CDN, which an
operator's intranet may not reach and a dashboard must not call. The icon is drawn here
instead (a check mark on a badge, the standard's colour) and served by Streamlit itself.
Run ``uv run python tools/page_icon.py`` to redraw it.
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw

ICON = Path(__file__).resolve().parents[1] / "dashboards" / "assets" / "page_icon.png"
SIZE = 64
BADGE = (196, 30, 58, 255)  # the operator's red
MARK = (255, 255, 255, 255)


def draw(size: int = SIZE) -> Image.Image:
    image = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    pen = ImageDraw.Draw(image)
    pen.ellipse((2, 2, size - 3, size - 3), fill=BADGE)
    pen.line(
        [(size * 0.27, size * 0.52), (size * 0.44, size * 0.68), (size * 0.74, size * 0.36)],
        fill=MARK,
        width=max(2, size // 10),
        joint="curve",
    )
    return image


if __name__ == "__main__":
    draw().save(ICON, optimize=True)
    print(ICON)
