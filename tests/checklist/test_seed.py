"""The D3.2 checklist loads completely and in order, and its data file matches the seed document."""

import json
import re
from pathlib import Path

import pytest
from django.conf import settings

from checklist.models import ChecklistActivity, ChecklistArea, ChecklistTemplate

pytestmark = pytest.mark.django_db

DATA_FILE = Path(settings.BASE_DIR) / "checklist" / "data" / "d3.2-checklist.json"
SEED_FILE = (
    Path(settings.BASE_DIR).parent / "shared" / "seed" / "D3.2-microcredentials-implementation-checklist.txt"
)
EXPECTED_ACTIVITIES_PER_AREA = [5, 5, 3, 4, 3, 3, 3, 3]


def _data() -> dict:
    return json.loads(DATA_FILE.read_text(encoding="utf-8"))


def _normalise(text: str) -> str:
    return " ".join(text.split())


def test_data_file_holds_eight_areas_and_29_activities_with_unique_keys():
    data = _data()
    areas = data["areas"]
    activity_keys = [activity["key"] for area in areas for activity in area["activities"]]

    assert [area["number"] for area in areas] == list(range(1, 9))
    assert [len(area["activities"]) for area in areas] == EXPECTED_ACTIVITIES_PER_AREA
    assert len(activity_keys) == len(set(activity_keys)) == 29
    assert all(area["description"] and area["title"] for area in areas)
    assert all(a["title"] and a["task_description"] for area in areas for a in area["activities"])
    assert "D3.2" in data["source"]["document"] and data["source"]["transcription"]


def test_migration_loaded_the_data_file_as_the_current_version_in_order():
    data = _data()
    template = ChecklistTemplate.objects.get(is_current=True)
    areas = list(ChecklistArea.objects.filter(template=template).order_by("position"))

    assert template.version == 1 and template.published_at is not None
    assert [(a.position, a.key, a.title, a.description) for a in areas] == [
        (area["number"], area["key"], area["title"], area["description"]) for area in data["areas"]
    ]
    for area, area_data in zip(areas, data["areas"], strict=True):
        activities = ChecklistActivity.objects.filter(area=area).order_by("position")
        assert [(a.key, a.title, a.task_description, a.guiding_questions) for a in activities] == [
            (a["key"], a["title"], a["task_description"], a["guiding_questions"])
            for a in area_data["activities"]
        ]
    assert ChecklistActivity.objects.filter(template=template).count() == 29


def _seed_table(text: str) -> list[dict]:
    """Parse the checklist table of the seed text: area cells, activity rows, remarks per area."""
    lines = text.splitlines()
    start = next(index for index, line in enumerate(lines) if line.startswith("Area\tActivity"))
    areas: list[dict] = []
    for line in lines[start + 1 :]:
        if not line.strip():
            continue
        cells = [*line.split("\t"), *[""] * 7][:7]
        head, activity, task, remarks = cells[0].strip(), cells[1].strip(), cells[2].strip(), cells[6].strip()
        if set(activity) <= {"-"} and set(head) <= {"-"}:
            activity = head = ""
        match = re.match(r"^(\d+)\. (.*)$", head)
        if match:
            areas.append(
                {"number": int(match.group(1)), "head": match.group(2), "activities": [], "remarks": []}
            )
        elif head:
            areas[-1]["head"] += " " + head
        if activity:
            areas[-1]["activities"].append((activity, task))
        if remarks and not set(remarks) <= {"-"}:
            areas[-1]["remarks"].append(remarks)
    return areas


@pytest.mark.skipif(
    not SEED_FILE.is_file(),
    reason=f"The seed document is not in this checkout ({SEED_FILE}); "
    "the data file's own counts are checked instead.",
)
def test_data_file_matches_the_seed_document_area_by_area_and_activity_by_activity():
    seed = _seed_table(SEED_FILE.read_text(encoding="utf-8"))
    data = _data()

    assert [area["number"] for area in seed] == [area["number"] for area in data["areas"]]
    for seed_area, area in zip(seed, data["areas"], strict=True):
        assert _normalise(seed_area["head"]) == _normalise(f"{area['title']} {area['description']}")
        assert seed_area["activities"] == [(a["title"], a["task_description"]) for a in area["activities"]]
        # The document's question cells span rows; compared per area, word for word.
        assert _normalise(" ".join(seed_area["remarks"])) == _normalise(
            " ".join(a["guiding_questions"] for a in area["activities"] if a["guiding_questions"])
        )
