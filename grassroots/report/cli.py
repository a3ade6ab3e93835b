"""`python -m grassroots report --as-of YYYY-MM-DD [--district NAME]`: the report into the outbox, unsent."""

from __future__ import annotations

import datetime as dt

from grassroots.settings import Settings


def run(as_of: dt.date, district: str | None, settings: Settings, *, period: str = "week") -> int:
    """Write the city's (or the district's) report to $GRASSROOTS_HOME/outbox/; print the files."""
    from grassroots import warehouse
    from grassroots.report.send import write_outbox

    with warehouse.opened(settings.warehouse_url) as engine:
        if district:
            reference = warehouse.load_reference(engine)
            known = list(reference.districts) if reference else []
            if district not in known:
                print(f"未知区县“{district}”：基础数据中的区县为 {'、'.join(known) or '（尚无基础数据）'}")
                return 2
        for path in write_outbox(settings, engine, as_of, district=district, period=period):
            print(path)
    return 0
