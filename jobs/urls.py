from django.urls import path

from . import crew_views, views

app_name = "jobs"

urlpatterns = [
    path("triage/", views.triage, name="triage"),
    path("crew/", views.crew_queue, name="crew-queue"),
    path("create/", views.job_create, name="job-create"),
    path("new/", views.job_create_found, name="job-create-found"),
    path("customers/<pk:customer_id>/", crew_views.customer_history, name="customer-history"),
    path("<ref:reference>/", views.job_detail, name="job-detail"),
    path("<ref:reference>/categorise/", views.job_categorise, name="job-categorise"),
    path("<ref:reference>/allocate/", views.job_allocate, name="job-allocate"),
    path("<ref:reference>/dispatch/", views.job_dispatch, name="job-dispatch"),
    path("<ref:reference>/cancel/", views.job_cancel, name="job-cancel"),
    path("<ref:reference>/reopen/", views.job_reopen, name="job-reopen"),
    path("<ref:reference>/close/", views.job_close, name="job-close"),
    path("<ref:reference>/location/", views.job_location, name="job-location"),
    path("<ref:reference>/service/", views.job_service, name="job-service"),
    path("<ref:reference>/merge/", views.job_merge, name="job-merge"),
    path("<ref:reference>/unlink/", views.job_unlink, name="job-unlink"),
    path("<ref:reference>/exclude/", views.job_exclude, name="job-exclude"),
    path("<ref:reference>/include/", views.job_include, name="job-include"),
    path("<ref:reference>/unmerge/", views.job_unmerge, name="job-unmerge"),
    path("<ref:reference>/notes/", views.job_note, name="job-note"),
    path("<ref:reference>/messages/<pk:message_id>/retry/", views.job_message_retry, name="job-message-retry"),
    path("<ref:reference>/arrive/", crew_views.job_arrive, name="job-arrive"),
    path("<ref:reference>/assess/", crew_views.job_assess, name="job-assess"),
    path("<ref:reference>/start-repair/", crew_views.job_start_repair, name="job-start-repair"),
    path("<ref:reference>/variation/", crew_views.job_variation, name="job-variation"),
    path("<ref:reference>/complete/", crew_views.job_complete, name="job-complete"),
    path("<ref:reference>/photos/", crew_views.job_photos_add, name="job-photos-add"),
    path("<ref:reference>/photos/<pk:photo_id>/", crew_views.job_photo, name="job-photo"),
    path("<ref:reference>/photos/<pk:photo_id>/thumb/", crew_views.job_photo, {"size": "thumb"},
         name="job-photo-thumb"),
    path("<ref:reference>/site-contact/", crew_views.job_site_contact, name="job-site-contact"),
    path("<ref:reference>/update/", crew_views.job_update, name="job-update"),
    path("<ref:reference>/letters/<pk:letter_id>/", crew_views.job_letter, name="job-letter"),
]
