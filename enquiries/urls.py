from django.urls import path

from . import views

app_name = "enquiries"

urlpatterns = [
    path("", views.enquiry_list, name="enquiry-list"),
    path("home/", views.home, name="home"),
    path("new/", views.enquiry_create, name="enquiry-create"),
    path("customers/search/", views.customer_search, name="customer-search"),
    path("customers/<pk:pk>/pick/", views.customer_pick, name="customer-pick"),
    path("duplicates/", views.duplicate_candidates, name="duplicate-candidates"),
    path("suburbs/", views.suburb_options, name="suburb-options"),
    path("access-log/", views.access_log, name="access-log"),
    path("<ref:reference>/", views.enquiry_detail, name="enquiry-detail"),
    path("<ref:reference>/resolve/", views.enquiry_resolve, name="enquiry-resolve"),
    path("<ref:reference>/link/", views.enquiry_link, name="enquiry-link"),
]
