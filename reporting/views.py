import csv

from django.contrib import messages
from django.core.exceptions import BadRequest, PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpResponseBadRequest, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts import permissions
from accounts.decorators import role_required
from enquiries.enums import DIA_CATEGORY_SERVICE, Service
from jobs.models import Job

from . import services, snapshots
from .export import _cell, _Echo, job_rows_csv
from .forms import PublishForm, ScopeForm
from .hotspots import Hotspot, hotspot_job_ids
from .measures import dia_enquiries, figure_job_ids
from .models import Report
from .periods import period_parse
from .selectors import Scope

LIST_LIMIT = 500


def _scope_from(request) -> tuple[ScopeForm, Scope | None]:
    data = request.GET if "period" in request.GET else None
    form = ScopeForm(data, user=request.user, initial=ScopeForm.initial_for())
    if data is None:
        council = None if permissions.sees_all_councils(request.user) else request.user.organisation
        initial = ScopeForm.initial_for()
        form = ScopeForm({"council": council.pk if council else "", "period": initial["period"],
                          "service": initial["service"]}, user=request.user)
    if not form.is_valid():
        return form, None
    council = form.cleaned_data["council"]
    return form, Scope(council_id=council.pk if council else None, services=form.cleaned_data["service"],
                       period=form.cleaned_data["period"])


@role_required(permissions.is_analyst)
@require_GET
def dashboard(request):
    """The stored figures while fresh (``reporting.snapshots``), else computed now and stored."""
    form, scope = _scope_from(request)
    if scope is None:
        return render(request, "reporting/dashboard.html", {"form": form}, status=400)
    snapshot = snapshots.dashboard_snapshot(scope=scope)
    return render(request, "reporting/dashboard.html", {
        "form": form, "scope": scope, "council": form.cleaned_data["council"],
        "services": [Service(s).label for s in scope.services],
        "figures_html": mark_safe(snapshot.html),  # rendered by reporting.snapshots.figures_html
        "export_query": scope.query(), "snapshot": snapshot,
        "figures_as_of": snapshots.as_of_label(snapshot.computed_at),
        "refresh_minutes": snapshots.max_age().total_seconds() // 60})


@role_required(permissions.is_analyst)
@require_POST
def dashboard_refresh(request):
    """'Refresh figures': compute the scope's figures now, then show the dashboard."""
    form, scope = _scope_from(request)
    if scope is None:
        return HttpResponseBadRequest("Choose a council, services and a period.")
    snapshots.dashboard_snapshot(scope=scope, refresh=True)
    messages.success(request, "The figures were computed again just now.")
    return redirect(f"{reverse('reporting:dashboard')}?{scope.query()}")


def _figure_scope(request) -> tuple[Scope, str]:
    try:
        period = period_parse(request.GET.get("period", ""))
        council_id = int(request.GET["council"]) if request.GET.get("council") else None
    except (ValueError, KeyError) as exc:
        raise BadRequest("Say which figure, council and period.") from exc
    service = request.GET.get("service", "")
    if service not in Service.values:
        raise BadRequest("Say which service.")
    if council_id is None and not permissions.sees_all_councils(request.user):
        raise Http404
    if council_id is not None and not permissions.council_in_scope(request.user, council_id):
        raise Http404
    return Scope(council_id=council_id, services=[service], period=period), service


@role_required(permissions.is_analyst)
@require_GET
def figure_detail(request):
    """The jobs (or enquiries) behind one figure, and the same as a CSV, so any number can be checked."""
    scope, service = _figure_scope(request)
    key = request.GET.get("figure", "")
    as_csv = request.GET.get("format") == "csv"
    if key.startswith("complaints-"):
        return _complaint_enquiries(request, scope, service, key, as_csv)
    if key == "hotspot":
        try:
            hotspot = Hotspot(int(request.GET["suburb"]), "", int(request.GET["category"]), "", service, 0, 0, 1,
                              scope.period)
        except (KeyError, ValueError) as exc:
            raise Http404 from exc
        ids = hotspot_job_ids(hotspot=hotspot)
        title = "Jobs in the hotspot"
    else:
        try:
            ids = figure_job_ids(key=key, period=scope.period, council_id=scope.council_id, service=service)
        except KeyError as exc:
            raise Http404 from exc
        title = key
    jobs = Job.objects.filter(pk__in=ids)
    if scope.council_id:
        jobs = jobs.filter(council_id=scope.council_id)
    if as_csv:
        return _csv_response(job_rows_csv(jobs), f"{key}-{scope.period.key}.csv")
    shown = list(jobs.select_related("suburb", "category", "priority").order_by("notified_at", "id")[:LIST_LIMIT])
    return render(request, "reporting/figure_jobs.html", {
        "title": _figure_title(key, service), "key": title, "scope": scope, "jobs": shown, "total": len(ids),
        "limit": LIST_LIMIT, "csv_query": request.GET.urlencode() + "&format=csv",
    })


def _figure_title(key: str, service: str) -> str:
    from .measures import MEDIANS

    for spec in MEDIANS.get(service, []):
        if spec.key == key:
            return spec.label
    return {"wastewater-dry-overflows": "Dry-weather overflows", "stormwater-events": "Flooding events",
            "stormwater-floors": "Flooding events (habitable floors)", "hotspot": "Jobs in the hotspot"}.get(key, key)


def _complaint_enquiries(request, scope: Scope, service: str, key: str, as_csv: bool):
    category = key.removeprefix("complaints-")
    enquiries = dia_enquiries(period=scope.period, council_ids=scope.council_ids)
    if category == service:
        enquiries = enquiries.filter(service=service)
    elif DIA_CATEGORY_SERVICE.get(category) == service:
        enquiries = enquiries.filter(issue_type__dia_category=category)
    else:
        raise Http404
    enquiries = enquiries.select_related("council", "issue_type", "job").order_by("received_at", "id")
    if as_csv:
        def rows():
            writer = csv.writer(_Echo())
            yield writer.writerow(["reference", "council", "service", "issue_type", "dia_category", "received_at",
                                   "job"])
            for e in enquiries.iterator(chunk_size=2000):
                yield writer.writerow([_cell(v) for v in (
                    e.reference, e.council.short_code, e.service, e.issue_type.name, e.issue_type.dia_category,
                    e.received_at, e.job.reference if e.job else "")])
        return _csv_response(rows(), f"{key}-{scope.period.key}.csv")
    shown = list(enquiries[:LIST_LIMIT])
    return render(request, "reporting/figure_enquiries.html", {
        "title": "Complaints counted", "scope": scope, "enquiries": shown, "total": enquiries.count(),
        "limit": LIST_LIMIT, "csv_query": request.GET.urlencode() + "&format=csv",
    })


def _csv_response(lines, filename: str) -> StreamingHttpResponse:
    response = StreamingHttpResponse(lines, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@role_required(permissions.is_analyst)
@require_GET
def export_jobs(request):
    """Every job of the chosen scope (notified in the period), streamed as CSV; no personal data."""
    form, scope = _scope_from(request)
    if scope is None:
        return HttpResponseBadRequest("Choose a council, services and a period.")
    jobs = Job.objects.filter(service__in=scope.services, notified_at__gte=scope.period.start,
                              notified_at__lt=scope.period.end)
    if scope.council_id:
        jobs = jobs.filter(council_id=scope.council_id)
    return _csv_response(job_rows_csv(jobs), f"jobs-{scope.period.key}.csv")


# Reports ------------------------------------------------------------------------------

def _reports_for(user):
    reports = Report.objects.select_related("council", "requested_by")
    if not permissions.sees_all_councils(user):
        reports = reports.filter(council_id=user.organisation_id)
    return reports


@role_required(permissions.may_view_reports)
@require_GET
def report_list(request):
    reports = list(_reports_for(request.user)[:100])
    form = ScopeForm(user=request.user, initial=ScopeForm.initial_for()) if permissions.may_generate_report(
        request.user) else None
    return render(request, "reporting/report_list.html", {"reports": reports, "form": form})


@role_required(permissions.may_generate_report)
@require_POST
def report_create(request):
    form = ScopeForm(request.POST, user=request.user)
    if not form.is_valid():
        reports = list(_reports_for(request.user)[:100])
        return render(request, "reporting/report_list.html", {"reports": reports, "form": form}, status=400)
    try:
        report = services.report_request(council=form.cleaned_data["council"], services=form.cleaned_data["service"],
                                         period=form.cleaned_data["period"], by=request.user)
    except PermissionDenied:
        raise
    return redirect("reporting:report-detail", reference=report.reference)


def _report_or_404(user, reference: str) -> Report:
    return get_object_or_404(_reports_for(user), reference=reference)


@role_required(permissions.may_view_reports)
@require_GET
def report_detail(request, reference):
    report = _report_or_404(request.user, reference)
    context = {"report": report}
    if report.kind == "publication":
        context["difference"] = services.publication_difference(report=report)
    return render(request, "reporting/report_detail.html", context)


@role_required(permissions.may_view_reports)
@require_GET
def report_progress(request, reference):
    """The htmx poll: the task's stored state; polling stops once the report is finished."""
    report = _report_or_404(request.user, reference)
    return render(request, "reporting/_report_progress.html", {"report": report})


@role_required(permissions.may_view_reports)
@require_GET
def report_download(request, reference):
    report = _report_or_404(request.user, reference)
    if not report.file:
        raise Http404
    return FileResponse(report.file.open("rb"), as_attachment=True, filename=f"{report.reference}.pdf",
                        content_type="application/pdf")


@role_required(permissions.may_publish_period)
@require_http_methods(["GET", "POST"])
def period_publish(request):
    form = PublishForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            report = services.period_publish(council=form.cleaned_data["council"],
                                             service=form.cleaned_data["service"],
                                             period=form.cleaned_data["period"], by=request.user)
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            messages.success(request, f"{report.reference}: {report.jobs_reported} closed jobs moved to reported; "
                                      f"the figures are frozen as published.")
            return redirect("reporting:report-detail", reference=report.reference)
    return render(request, "reporting/publish.html", {"form": form, "now": timezone.now()},
                  status=400 if request.method == "POST" else 200)
