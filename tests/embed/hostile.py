"""Hostile strings, and published content made of them, for the widget's and oEmbed's escaping tests (in the test
database and, through `python -m tests.embed.hostile`, in the browser test's server database)."""

import datetime

# Each one would add markup, close an attribute, a script or the page, or read as an escape if it came back raw.
HOSTILE = [
    '"><script>alert("double")</script>',
    "'><img src=x onerror=alert('single')>",
    "<!--<script>",
    "</script><script>alert(3)</script>",
    "<script>alert(4)</script>",
    "javascript:alert(5)",
    '<a href="javascript:alert(6)">link</a>',
    '<meta http-equiv="refresh" content="0;url=https://evil.example/">',
    '<form action="https://evil.example/"><input name="p"></form>',
    '<iframe src="https://evil.example/"></iframe>',
    "<style>*{display:none}</style>",
    "<plaintext>",
    "line\u2028separator\u2029paragraph",
    "&lt;b&gt; &amp; &#60;i&#62; ]]> -->",
    '\\"}]},{"@type":"x',
]

# Short enough for a region's name (50 characters), which the title, the heading and oEmbed's title carry.
HOSTILE_REGION_NAME = "\"'><i>区</i><!--<script>"
REGION = "130102"
SOURCE_URL = "https://example.org/{index}?q={text}"


def benign(texts: list[str]) -> list[str]:
    """Harmless strings in the same number: the same content rendered with them shows which elements the template
    itself produces."""
    return [f"安全文本{index}" for index in range(len(texts))]


def url_for(index: int, text: str) -> str:
    # URLField takes quotes and angle brackets in the query, not white space.
    return SOURCE_URL.format(index=index, text="".join(text.split()).replace("\u2028", "").replace("\u2029", ""))


def publish(*, texts: list[str], region_name: str) -> None:
    """Publishes, on REGION, content whose every text field the widget shows (and the FAQs, which it does not show)
    holds one of `texts`, each object passing full_clean: only what the models allow."""
    from curation.models import ChangeNote
    from passwords.models import DefaultPasswordRule
    from procedures.models import Channel, Faq, Procedure, Step
    from regions.models import Region
    from sources.models import Source

    region = Region.objects.get(code=REGION)
    region.name = region_name
    region.full_clean()
    region.save()

    def saved(obj):
        obj.full_clean()
        obj.save()
        return obj

    published = {"status": "published", "verified_at": None}
    for index, text in enumerate(texts):
        source = saved(
            Source(
                slug=f"hostile-source-{index}",
                title=text,
                publisher=text,
                url=url_for(index, text),
                published_on=datetime.date(2024, 1, 1),
                **published,
            )
        )
        channel = saved(
            Channel(
                slug=f"hostile-channel-{index}",
                kind="hotline",
                name=text,
                region=region,
                phone="0311-12345",
                url=url_for(index, text),
                **published,
            )
        )
        channel.sources.add(source)
        procedure = saved(
            Procedure(
                slug=f"hostile-procedure-{index}",
                kind="change_password",
                title=text,
                summary=text,
                region=region,
                channel=channel,
                requirements=text,
                duration=text if len(text) <= 80 else "",
                standing="unverified",
                **published,
            )
        )
        procedure.sources.add(source)
        saved(Step(procedure=procedure, position=1, instruction=text, ui_path=f"【{text}】"))
        faq = saved(Faq(slug=f"hostile-faq-{index}", question=text, answer=text, **published))
        faq.regions.add(region)
        faq.sources.add(source)
    rule = saved(
        DefaultPasswordRule(
            slug="hostile-rule",
            region=region,
            password="medical_account",
            kind="id_last6",
            standing="unverified",
            note="\n".join(texts),
            **published,
        )
    )
    rule.sources.add(Source.objects.get(slug="hostile-source-0"))
    # The widget shows the five newest notes: three carry every text.
    for part in range(3):
        saved(
            ChangeNote(content_object=rule, note=" ".join(texts[part::3]), changed_on=datetime.date(2025, 1, part + 1))
        )


if __name__ == "__main__":
    import django

    django.setup()
    publish(texts=HOSTILE, region_name=HOSTILE_REGION_NAME)
