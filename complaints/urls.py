from django.urls import path

from . import views

app_name = "complaints"

urlpatterns = [
    path("", views.complaint_list, name="complaint-list"),
    path("new/", views.complaint_create, name="complaint-create"),
    path("<ref:reference>/", views.complaint_detail, name="complaint-detail"),
    path("<ref:reference>/understand/", views.complaint_understand, name="complaint-understand"),
    path("<ref:reference>/contact/", views.complaint_contact, name="complaint-contact"),
    path("<ref:reference>/agree/", views.complaint_agree, name="complaint-agree"),
    path("<ref:reference>/escalate/", views.complaint_escalate, name="complaint-escalate"),
    path("<ref:reference>/resolve/", views.complaint_resolve, name="complaint-resolve"),
    path("<ref:reference>/close/", views.complaint_close, name="complaint-close"),
    path("<ref:reference>/withdraw/", views.complaint_withdraw, name="complaint-withdraw"),
    path("<ref:reference>/reopen/", views.complaint_reopen, name="complaint-reopen"),
    path("<ref:reference>/steps/<pk:pk>/done/", views.action_done, name="action-done"),
]
