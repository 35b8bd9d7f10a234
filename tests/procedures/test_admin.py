"""Staff edit a procedure's steps inline: reorder them by position, add and delete, with clear refusals."""

import pytest
from bs4 import BeautifulSoup
from django.urls import reverse

from tests.admin_forms import form_data
from tests.factories import make_procedure

pytestmark = pytest.mark.django_db


def change_url(procedure) -> str:
    return reverse("admin:procedures_procedure_change", args=[procedure.pk])


def step_rows(data: dict[str, list[str]]) -> dict[str, str]:
    """Maps each step's form prefix to its instruction."""
    return {
        name.removesuffix("-instruction"): values[0]
        for name, values in data.items()
        if name.startswith("steps-") and name.endswith("-instruction")
    }


def test_change_page_lists_steps_in_order_with_a_drag_handle(admin_client):
    procedure = make_procedure(steps=3)
    html = admin_client.get(change_url(procedure)).content.decode()
    assert html.index("第1步") < html.index("第2步") < html.index("第3步")
    assert "adminsortable2" in html  # the drag-and-drop script is loaded


def test_reordering_steps_is_saved(admin_client):
    procedure = make_procedure(steps=3)
    data = form_data(admin_client.get(change_url(procedure)).content)
    prefixes = {instruction: prefix for prefix, instruction in step_rows(data).items()}
    # What the drag-and-drop script writes into the hidden position fields when step 3 is dragged to the top.
    for instruction, position in {"第3步": "1", "第1步": "2", "第2步": "3"}.items():
        data[f"{prefixes[instruction]}-position"] = [position]

    response = admin_client.post(change_url(procedure), data)

    assert response.status_code == 302, response.context["errors"] if response.context else response
    assert list(procedure.steps.values_list("position", "instruction")) == [(1, "第3步"), (2, "第1步"), (3, "第2步")]


def test_deleting_a_step_renumbers_the_rest(admin_client):
    procedure = make_procedure(steps=3)
    data = form_data(admin_client.get(change_url(procedure)).content)
    prefix = {instruction: prefix for prefix, instruction in step_rows(data).items()}["第2步"]
    data[f"{prefix}-DELETE"] = ["on"]

    assert admin_client.post(change_url(procedure), data).status_code == 302
    assert list(procedure.steps.values_list("position", "instruction")) == [(1, "第1步"), (2, "第3步")]


def test_two_steps_on_one_position_are_refused_with_a_message(admin_client):
    procedure = make_procedure(steps=2)
    data = form_data(admin_client.get(change_url(procedure)).content)
    for prefix in step_rows(data):
        data[f"{prefix}-position"] = ["1"]

    response = admin_client.post(change_url(procedure), data, HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 200
    assert "Please correct the duplicate data for position" in response.content.decode()
    assert list(procedure.steps.values_list("instruction", flat=True)) == ["第1步", "第2步"]


def test_a_procedure_without_a_source_is_refused(admin_client):
    procedure = make_procedure(steps=1)
    data = form_data(admin_client.get(change_url(procedure)).content)
    data["citations-0-DELETE"] = ["on"]

    response = admin_client.post(change_url(procedure), data, HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 200
    assert "Cite at least one source" in response.content.decode()
    assert procedure.sources.count() == 1


def test_an_existing_step_posted_without_a_position_keeps_its_place(admin_client):
    procedure = make_procedure(steps=2)
    data = form_data(admin_client.get(change_url(procedure)).content)
    prefix = {instruction: prefix for prefix, instruction in step_rows(data).items()}["第1步"]
    data[f"{prefix}-position"] = [""]

    assert admin_client.post(change_url(procedure), data).status_code == 302
    assert list(procedure.steps.values_list("position", "instruction")) == [(1, "第1步"), (2, "第2步")]


def test_steps_of_a_procedure_nobody_may_change_here_have_no_drag_handles(admin_client, editor_client):
    """Published steps change through a pending edit: handles and arrows would move rows on screen and save
    nothing. A procedure in review is read-only to an editor too, but not to a publisher (the superuser)."""
    published = make_procedure(steps=3, status="published")
    in_review = make_procedure(steps=3, status="in_review", slug="in-review-steps")
    for client, procedure in ((admin_client, published), (editor_client, in_review)):
        response = client.get(change_url(procedure))
        html = response.content.decode()
        soup = BeautifulSoup(html, "html.parser")
        assert response.status_code == 200
        assert html.index("第1步") < html.index("第2步") < html.index("第3步")
        assert soup.select("#steps-group .sort, #steps-group fieldset.sortable") == []
        assert "adminsortable2" not in html
        assert soup.select("#steps-group textarea, #steps-group input[name$='-position']") == []

    html = admin_client.get(change_url(in_review)).content.decode()
    soup = BeautifulSoup(html, "html.parser")
    assert len(soup.select("#steps-group fieldset.sortable tr.has_original .sort i.move-begin")) == 3
    assert "adminsortable2/js/adminsortable2" in html
