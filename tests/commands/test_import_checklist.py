"""`manage.py import_checklist FILE.json` publishes the next version, or stores nothing."""

from __future__ import annotations

import json
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

import audits
from audits.models import ChecklistTemplate, ChecklistVersion
from audits.services.checklists import checklist_as_api
from support.factories import BrandFactory

pytestmark = pytest.mark.django_db

DEFAULT = Path(audits.__file__).parent / "fixtures" / "default_checklist.json"


def run(*args: str) -> str:
    out = StringIO()
    call_command("import_checklist", *args, stdout=out, stderr=StringIO())
    return out.getvalue()


@pytest.fixture
def brand():
    return BrandFactory(name="Kettle & Crumb")


def _broken(tmp_path: Path, mutate) -> Path:
    data = json.loads(DEFAULT.read_text())
    mutate(data)
    path = tmp_path / "broken.json"
    path.write_text(json.dumps(data))
    return path


def test_default_checklist_publishes_version_one_then_two(brand):
    out = run(str(DEFAULT), "--brand", "Kettle & Crumb", "--template", "Default")
    assert "version 1" in out
    run(str(DEFAULT), "--brand", str(brand.pk), "--template", "Default")
    template = ChecklistTemplate.objects.get(brand=brand, name="Default")
    versions = list(template.versions.order_by("version"))
    assert [v.version for v in versions] == [1, 2]
    assert f"(id {versions[0].pk})" in out
    assert versions[0].definition == versions[1].definition


def test_published_version_matches_the_file_in_the_api_shape(brand):
    run(str(DEFAULT), "--template", "Default")
    version = ChecklistVersion.objects.get()
    data = json.loads(DEFAULT.read_text())
    published = checklist_as_api(version)
    assert published["title"] == data["title"]
    assert [s["key"] for s in published["sections"]] == [s["key"] for s in data["sections"]]
    assert [i["key"] for s in published["sections"] for i in s["items"]] == [
        i["key"] for s in data["sections"] for i in s["items"]
    ]


def test_template_name_defaults_to_the_files_title(brand):
    run(str(DEFAULT))
    assert ChecklistTemplate.objects.get().name == json.loads(DEFAULT.read_text())["title"]


def test_template_name_may_come_from_the_file(brand, tmp_path):
    path = tmp_path / "named.json"
    path.write_text(json.dumps({"template": "From file", **json.loads(DEFAULT.read_text())}))
    run(str(path))
    assert ChecklistTemplate.objects.get().name == "From file"


def test_errors_are_printed_with_their_json_path_and_nothing_is_stored(brand, tmp_path):
    def mutate(data):
        data["sections"][0]["items"][1]["key"] = data["sections"][0]["items"][0]["key"]
        data["sections"][1]["items"][0]["show_if"] = {"item": "nowhere", "equals": True}
        data["pass_mark"] = 150

    path = _broken(tmp_path, mutate)
    with pytest.raises(CommandError) as caught:
        run(str(path), "--template", "Default")
    message = str(caught.value)
    assert "nothing was published" in message
    assert "sections[0].items[1].key: duplicate item key" in message
    assert "sections[1].items[0].show_if.item: unknown item 'nowhere'" in message
    assert "pass_mark: must be from 0 to 100" in message
    assert ChecklistVersion.objects.count() == 0
    assert ChecklistTemplate.objects.count() == 0


def test_failure_exits_non_zero_from_the_command_line(brand, tmp_path, monkeypatch, capsys):
    """Run as a program, a bad file prints its paths on stderr and exits with status 1."""
    from django.core.management import ManagementUtility
    from django.db import connections

    # run_from_argv closes every connection when it ends; keep the test's transaction open.
    monkeypatch.setattr(connections, "close_all", lambda: None)
    path = _broken(tmp_path, lambda data: data["sections"][0]["items"][0].update(type="essay"))
    with pytest.raises(SystemExit) as caught:
        ManagementUtility(["manage.py", "import_checklist", str(path)]).execute()
    assert caught.value.code == 1
    assert "sections[0].items[0].type: must be one of" in capsys.readouterr().err
    assert ChecklistVersion.objects.count() == 0


def test_unknown_brand_is_an_error(brand):
    with pytest.raises(CommandError, match="No brand"):
        run(str(DEFAULT), "--brand", "Nobody")
    assert ChecklistVersion.objects.count() == 0


def test_brand_must_be_named_when_there_are_several(brand):
    BrandFactory(name="Second")
    with pytest.raises(CommandError, match="--brand"):
        run(str(DEFAULT))
    run(str(DEFAULT), "--brand", "Second")
    assert ChecklistVersion.objects.get().template.brand.name == "Second"


@pytest.mark.parametrize(
    ("content", "fragment"),
    [("{not json", "not valid JSON"), ("[1, 2]", "expected a JSON object")],
)
def test_unreadable_files_are_errors(brand, tmp_path, content, fragment):
    path = tmp_path / "bad.json"
    path.write_text(content)
    with pytest.raises(CommandError, match=fragment):
        run(str(path))


def test_missing_file_is_an_error(brand, tmp_path):
    with pytest.raises(CommandError, match="Cannot read"):
        run(str(tmp_path / "absent.json"))
