from django.urls import path

from . import views

app_name = "complaints"

urlpatterns = [
    path("", views.complaint_list, name="complaint-list"),
    path("new/", views.complaint_create, name="complaint-create"),
    path("<str:reference>/", views.complaint_detail, name="complaint-detail"),
    path("<str:reference>/understand/", views.complaint_understand, name="complaint-understand"),
    path("<str:reference>/contact/", views.complaint_contact, name="complaint-contact"),
    path("<str:reference>/agree/", views.complaint_agree, name="complaint-agree"),
    path("<str:reference>/escalate/", views.complaint_escalate, name="complaint-escalate"),
    path("<str:reference>/resolve/", views.complaint_resolve, name="complaint-resolve"),
    path("<str:reference>/close/", views.complaint_close, name="complaint-close"),
    path("<str:reference>/withdraw/", views.complaint_withdraw, name="complaint-withdraw"),
    path("<str:reference>/reopen/", views.complaint_reopen, name="complaint-reopen"),
    path("<str:reference>/steps/<int:pk>/done/", views.action_done, name="action-done"),
]
