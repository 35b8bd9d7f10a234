"""Addresses of the embeddable widget."""

from django.urls import path

from . import views

urlpatterns = [
    path("embed/v1/loader.js", views.loader, name="loader"),
    path("embed/v1/<str:code>/", views.widget, name="widget"),
    path("oembed", views.oembed, name="oembed"),
]
