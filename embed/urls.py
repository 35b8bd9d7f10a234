"""Addresses of the embeddable widget, and of the Atom feeds of change notes for the portals that embed it."""

from django.urls import path

from . import feeds, views

urlpatterns = [
    path("embed/v1/loader.js", views.loader, name="loader"),
    path("embed/v1/changes.atom", feeds.changes_atom, name="changes-atom"),
    path("embed/v1/changes/<str:code>.atom", feeds.region_changes_atom, name="region-changes-atom"),
    path("embed/v1/<str:code>/", views.widget, name="widget"),
    path("oembed", views.oembed, name="oembed"),
]
