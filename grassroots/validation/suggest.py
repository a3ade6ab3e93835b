"""The registered name a district most likely meant, for the fix of an unknown town, unit or leader.

A clerk writes 古林 for 古林镇, 发改委 for 市发改委, 霞浦镇 for 霞浦街道: short forms and the wrong
suffix come first (the same name without 街道/镇/乡, or a registered name that contains what was
written), then rapidfuzz's edit-distance ranking for typos. The district's own names are tried
before the rest of the city's, so the advice points at a name the clerk can actually use.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

LIMIT = 3
SCORE_CUTOFF = 60
_SUFFIX = re.compile(r"(街道|镇|乡|办事处)$")
_PREFIX = re.compile(r"^(宁波市|市)")


def stem(name: str) -> str:
    """古林镇 -> 古林, 霞浦街道 -> 霞浦, 市发改委 -> 发改委."""
    return _SUFFIX.sub("", _PREFIX.sub("", name.strip()))


def closest(value: str, *tiers: Sequence[str], limit: int = LIMIT) -> list[str]:
    """Up to `limit` registered names close to `value`, tier by tier (the district's, then the city's)."""
    from rapidfuzz import fuzz, process

    value = (value or "").strip()
    if not value:
        return []
    key = stem(value)
    found: list[str] = []
    for names in tiers:
        names = [n for n in dict.fromkeys(names) if n not in found]
        short = [n for n in names if len(key) >= 2 and (stem(n) == key or key in n or (len(stem(n)) >= 2 and stem(n) in value))]
        found += short[: limit - len(found)]
        if len(found) >= limit:
            break
        if not short:
            ranked = process.extract(key, {n: stem(n) for n in names}, scorer=fuzz.ratio,
                                     score_cutoff=SCORE_CUTOFF, limit=limit)
            found += [n for _, _, n in ranked if n not in found][: limit - len(found)]
        if found:
            break  # the district's own names are enough; the city's only when it has none
    return found
