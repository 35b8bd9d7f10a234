"""Reads an admin form the way a browser would submit it, so tests can change a field and post it back."""

from bs4 import BeautifulSoup


def form_data(html: bytes | str) -> dict[str, list[str]]:
    """Every successful control of the page's change form, by name, as a browser would send it unchanged."""
    form = BeautifulSoup(html, "html.parser").select_one("form[method=post][id$=_form]")
    data: dict[str, list[str]] = {}
    for control in form.select("input[name], select[name], textarea[name]"):
        name = control["name"]
        if "__prefix__" in name or control.has_attr("disabled"):
            continue
        if control.name == "select":
            values = [o.get("value", o.text) for o in control.select("option[selected]")]
        elif control.name == "textarea":
            values = [control.text.removeprefix("\n")]
        elif control.get("type") in ("checkbox", "radio"):
            values = [control.get("value", "on")] if control.has_attr("checked") else []
        elif control.get("type") in ("submit", "button", "image", "file"):
            continue
        else:
            values = [control.get("value", "")]
        data.setdefault(name, []).extend(values)
    return data
