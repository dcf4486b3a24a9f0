"""Print messages that carry user-provided text exactly as written.

Rich reads ``[...]`` in a printed string as markup, so ``add [channels.NAME] (and
[[routes]])`` came out as ``add  (and []) to …``, and a path, a config key, a check summary
or a server's answer could lose its brackets, or restyle the terminal. Every message with a
variable part goes through ``say`` (a styled tag, then the text as it is: no markup, no
highlighting) and every table cell or title with one through ``plain``.
"""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.text import Text


def plain(text: object, style: str = "") -> Text:
    """The text exactly as given, for a table's cell or title."""
    return Text(str(text), style=style)


def say(console: Console, text: object, tag: str = "", style: str = "", **options: Any) -> None:
    """One message: an optional ``tag`` in ``style`` (``error:`` in bold red), then ``text``
    with nothing in it interpreted. ``options`` go to ``Console.print``."""
    line = Text(tag, style=style) if tag else Text()
    if tag:
        line.append(" ")
    line.append(str(text))
    console.print(line, **{"soft_wrap": True, **options})
