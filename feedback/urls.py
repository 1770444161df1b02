from django.urls import path

from . import views

app_name = "feedback"

urlpatterns = [
    path("callbacks/", views.callback_queue, name="callback-queue"),
    path("callbacks/<pk:pk>/", views.callback_record, name="callback-record"),
    path("callbacks/<pk:pk>/reopen/", views.callback_reopen_job, name="callback-reopen"),
    path("jobs/<ref:reference>/feedback/", views.feedback_record, name="feedback-record"),
    path("feedback-letters/<pk:pk>/", views.feedback_letter, name="feedback-letter"),
    # Public, no login: the feedback link, the letter's short URL, the status page.
    path("feedback/<ref:reference>/<str:token>/", views.feedback_give, name="give"),
    path("f/<str:code>/", views.feedback_give_code, name="give-code"),
    path("status/", views.status_page, name="status"),
]
