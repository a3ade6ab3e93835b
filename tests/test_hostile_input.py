"""Hostile and careless input (issue 10): one test per class of attack, old and new.

Each test drops its input beside another district's good ledger, runs a real ingest pass and
asserts the Chinese reason, that the good ledger landed, and that nothing outside
GRASSROOTS_HOME changed (files a link points at, the system's temp folder).
"""

from __future__ import annotations

import os

import pytest

from grassroots import ingest
from tests.hostile_samples import AS_OF, GOOD_DISTRICT, GOOD_FILE, fates_of, make_city
from tests.ingest_samples import ledger_rows, write_ledger


@pytest.fixture
def city(home, tmp_path, monkeypatch):
    return make_city(home, tmp_path, monkeypatch)


# --- 1. links in the inbox -------------------------------------------------------------------

def test_a_link_to_a_system_file_is_refused_unread(city, settings):
    (city.inbox / "海曙区").mkdir()
    os.symlink(city.outside / "passwd", city.inbox / "海曙区" / "passwd.csv")
    os.symlink(city.outside / "外部问题清单.xlsx", city.inbox / "海曙区" / "问题清单.xlsx")
    city.ingest(settings)
    fates = fates_of(settings)
    for name in ("passwd.csv", "问题清单.xlsx"):
        assert fates[name]["fate"] == "rejected"
        assert "链接" in fates[name]["reason"]
        assert fates[name]["rows_total"] in (None, 0)
    receipt = city.inbox / "海曙区" / "回执" / "问题清单_回执.xlsx"
    assert receipt.is_file() and not receipt.is_symlink()
    assert not any(p.name.startswith("外部") for p in settings.archive.rglob("*"))
    # the next run does not refuse the same link again
    assert ingest.run_once(settings)["receive"]["received"] == []


def test_a_link_to_another_districts_file_never_makes_it_a_duplicate(city, settings):
    own = write_ledger(city.inbox / "海曙区", "海曙区问题清单.xlsx", ledger_rows("海曙区"), AS_OF)
    (city.inbox / "_a").mkdir()  # sorted first: the link is met before the district's own file
    os.symlink(own, city.inbox / "_a" / "海曙区问题清单.xlsx")
    os.symlink(city.inbox / GOOD_DISTRICT / GOOD_FILE, city.inbox / "海曙区" / "0链接.xlsx")
    city.ingest(settings)
    fates = {(r["district"], name): r for name, r in fates_of(settings, every=True)}
    assert fates[("海曙区", "海曙区问题清单.xlsx")]["fate"] == "accepted"
    assert "链接" in fates[("_a", "海曙区问题清单.xlsx")]["reason"]
    assert "链接" in fates[("海曙区", "0链接.xlsx")]["reason"]


def test_a_receipt_folder_that_is_a_link_is_never_written_through(city, settings):
    write_ledger(city.inbox / "海曙区", "海曙区问题清单.xlsx", ledger_rows("海曙区"), AS_OF)
    os.symlink(city.outside, city.inbox / "海曙区" / "回执")
    steps = city.ingest(settings)
    assert fates_of(settings)["海曙区问题清单.xlsx"]["fate"] == "accepted"
    assert fates_of(settings)["海曙区问题清单.xlsx"]["receipt_path"] is None
    assert steps["receipts"]["refused"]


def test_a_link_planted_at_a_receipts_path_is_replaced_not_followed(city, settings):
    write_ledger(city.inbox / "海曙区", "海曙区问题清单.xlsx", ledger_rows("海曙区"), AS_OF)
    (city.inbox / "海曙区" / "回执").mkdir()
    planted = city.inbox / "海曙区" / "回执" / "海曙区问题清单_回执.xlsx"
    os.symlink(city.outside / "passwd", planted)
    city.ingest(settings)
    assert planted.is_file() and not planted.is_symlink()
    assert fates_of(settings)["海曙区问题清单.xlsx"]["receipt_path"] == str(planted)


def test_a_district_folder_that_is_a_link_is_not_walked(city, settings):
    os.symlink(city.outside, city.inbox / "海曙区")
    steps = city.ingest(settings)
    assert not any(f.startswith("外部") for f in fates_of(settings))
    assert any("链接" in note for note in steps["scan"]["notes"])
