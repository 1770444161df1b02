from django.urls import path

from . import views

app_name = "accounts"

urlpatterns = [
    path("admin-home/", views.admin_home, name="admin-home"),
]
