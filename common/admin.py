from django.contrib import admin

from .models import ReferenceCounter


def _labelled(form_class, name_of_row):
    """The form with an aria-label on every input: the admin's table columns have no <label>."""

    class LabelledForm(form_class):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            row = name_of_row(self)
            for field in self.fields.values():
                label = str(field.label or "")
                field.widget.attrs.setdefault("aria-label", f"{label} of {row}" if row else label)

    LabelledForm.__name__ = form_class.__name__
    return LabelledForm


class LabelledListEditableMixin:
    """Editable list columns get a label each ("Sort order of Leak"), for screen readers and axe."""

    def get_changelist_form(self, request, **kwargs):
        return _labelled(super().get_changelist_form(request, **kwargs), lambda form: str(form.instance))


class LabelledTabularInline(admin.TabularInline):
    """A tabular inline whose inputs are labelled by column and row ("Name of new suburb")."""

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        verbose = self.model._meta.verbose_name
        formset.form = _labelled(formset.form,
                                 lambda form: str(form.instance) if form.instance.pk else f"new {verbose}")
        return formset


class ReadOnlyAdminMixin:
    """Records that change only through the app's services (so every change is logged)."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ReferenceCounter)
class ReferenceCounterAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("prefix", "year", "last_value")
