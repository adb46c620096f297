"""Load the D3.2 checklist (checklist/data/d3.2-checklist.json) as version 1 of the template."""
import datetime as dt
import json
from pathlib import Path

from django.db import migrations

DATA_FILE = Path(__file__).resolve().parent.parent / "data" / "d3.2-checklist.json"


def load_checklist(apps, schema_editor):
    template_model = apps.get_model("checklist", "ChecklistTemplate")
    area_model = apps.get_model("checklist", "ChecklistArea")
    activity_model = apps.get_model("checklist", "ChecklistActivity")
    if template_model.objects.filter(version=1).exists():
        return
    data = json.loads(DATA_FILE.read_text(encoding="utf-8"))
    template = template_model.objects.create(
        version=1,
        title=data["title"],
        source=data["source"],
        change_note="Loaded from D3.2 version 1.0.",
        published_at=dt.datetime.now(dt.UTC),
        is_current=True,
    )
    for area_data in data["areas"]:
        area = area_model.objects.create(
            template=template,
            position=area_data["number"],
            key=area_data["key"],
            title=area_data["title"],
            description=area_data["description"],
        )
        activity_model.objects.bulk_create(
            activity_model(
                template=template,
                area=area,
                position=position,
                key=activity["key"],
                title=activity["title"],
                task_description=activity["task_description"],
                guiding_questions=activity["guiding_questions"],
            )
            for position, activity in enumerate(area_data["activities"], start=1)
        )


def unload_checklist(apps, schema_editor):
    apps.get_model("checklist", "ChecklistTemplate").objects.filter(version=1).delete()


class Migration(migrations.Migration):
    dependencies = [("checklist", "0001_checklist_schema")]

    operations = [migrations.RunPython(load_checklist, unload_checklist)]
