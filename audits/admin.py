"""Django admin: head office's back office for the network and checklists."""

from __future__ import annotations

import json

from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from audits.errors import InvalidInput
from audits.models import (
    Assignment,
    AssignmentTransition,
    BenchmarkSnapshot,
    Branch,
    Brand,
    BrandSettings,
    BrandSettingsChange,
    ChecklistTemplate,
    ChecklistVersion,
    Franchisee,
    Membership,
    Photo,
    Region,
    Score,
    Submission,
    SubmissionTransition,
    User,
)
from audits.services.brand_settings import FIELDS, brand_settings_checked, brand_settings_update
from audits.services.checklists import checklist_publish


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["brand", "franchisee"]


@admin.register(User)
class TouchpointUserAdmin(UserAdmin):
    inlines = [MembershipInline]


@admin.register(Brand)
class BrandAdmin(admin.ModelAdmin):
    search_fields = ["name"]
    list_display = ["name", "min_audits", "created_at"]


@admin.register(Region, Franchisee)
class BrandScopedAdmin(admin.ModelAdmin):
    search_fields = ["name"]
    list_display = ["name", "brand"]
    list_filter = ["brand"]


@admin.register(Branch)
class BranchAdmin(admin.ModelAdmin):
    search_fields = ["name", "address"]
    list_display = ["name", "franchisee", "region", "brand", "timezone"]
    list_filter = ["brand", "region"]
    autocomplete_fields = ["franchisee", "region"]


@admin.register(ChecklistTemplate)
class ChecklistTemplateAdmin(admin.ModelAdmin):
    list_display = ["name", "brand", "created_at"]
    list_filter = ["brand"]


class PublishVersionForm(forms.ModelForm):
    """Publishing takes a template and a JSON definition; the rest is derived from them."""

    template_name = forms.CharField(help_text="An existing template's name, or a new one.")
    brand = forms.ModelChoiceField(queryset=Brand.objects.all())
    definition = forms.JSONField(help_text="The checklist in the API's JSON shape.")

    class Meta:
        model = ChecklistVersion
        fields = ["definition"]

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        try:
            self.instance = checklist_publish(
                brand=cleaned["brand"],
                template_name=cleaned["template_name"],
                definition=cleaned["definition"],
            )
        except InvalidInput as exc:
            raise forms.ValidationError(json.dumps(exc.as_dict(), indent=1)) from exc
        return cleaned


@admin.register(ChecklistVersion)
class ChecklistVersionAdmin(admin.ModelAdmin):
    """Versions are immutable: they can be published (added) and read, never changed."""

    list_display = ["template", "version", "title", "pass_mark", "critical_policy", "published_at"]
    list_filter = ["template__brand"]

    def get_form(self, request, obj=None, **kwargs):
        if obj is None:
            kwargs["form"] = PublishVersionForm
        return super().get_form(request, obj, **kwargs)

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["brand", "template_name", "definition"]
        return super().get_fields(request, obj)

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        return [f.name for f in ChecklistVersion._meta.fields]

    def save_model(self, request, obj, form, change):
        if not change:
            ChecklistVersion.objects.filter(pk=obj.pk).update(published_by=request.user)

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class HistoryInline(admin.TabularInline):
    """A status history: read-only, written by the lifecycle services only."""

    extra = 0
    can_delete = False
    fields = ["at", "from_status", "to_status", "by", "reason"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None) -> bool:
        return False


class AssignmentTransitionInline(HistoryInline):
    model = AssignmentTransition


class SubmissionTransitionInline(HistoryInline):
    model = SubmissionTransition


@admin.register(Assignment)
class AssignmentAdmin(admin.ModelAdmin):
    list_display = ["id", "branch", "shopper", "status", "window_start", "window_end"]
    list_filter = ["status"]
    raw_id_fields = ["branch", "shopper", "checklist"]
    # The status moves only through audits.services.assignments (conditional, recorded).
    readonly_fields = ["status", "accepted_at"]
    inlines = [AssignmentTransitionInline]


class PhotoInline(admin.TabularInline):
    model = Photo
    extra = 0
    can_delete = False
    fields = ["client_id", "item", "width", "height", "taken_at", "gps_latitude", "gps_longitude"]
    readonly_fields = fields


@admin.register(Submission)
class SubmissionAdmin(admin.ModelAdmin):
    list_display = ["id", "assignment", "status", "started_at", "received_at"]
    list_filter = ["status"]
    raw_id_fields = ["assignment", "shopper"]
    # The status and review fields move only through audits.services (conditional, recorded).
    readonly_fields = [
        "client_id",
        "payload_hash",
        "status",
        "received_at",
        "queued_at",
        "scored_at",
        "risk",
        "signals",
        "signals_at",
        "claimed_by",
        "claimed_at",
        "questions",
        "return_deadline",
        "review_reason",
        "released_at",
        "version",
    ]
    inlines = [PhotoInline, SubmissionTransitionInline]


class BrandSettingsForm(forms.ModelForm):
    """Checked by the same rules as the API (bounds, min below max), each error on its field."""

    class Meta:
        model = BrandSettings
        fields = ["brand", *FIELDS]

    def clean(self):
        cleaned = super().clean()
        changes = {name: cleaned[name] for name in self.changed_data if name in FIELDS}
        try:
            brand_settings_checked(changes, self.instance)
        except InvalidInput as exc:
            for problem in exc.problems:
                self.add_error(
                    problem.attr if problem.attr in self.fields else None, problem.message
                )
        return cleaned


@admin.register(BrandSettings)
class BrandSettingsAdmin(admin.ModelAdmin):
    """A brand's review settings; a change goes through the service, which records it (who,
    when, old and new values) as the API does."""

    form = BrandSettingsForm
    list_display = ["brand", "auto_release", "review_sla_hours", "max_distance_m", "updated_at"]
    readonly_fields = ["updated_at", "updated_by"]

    def save_model(self, request, obj, form, change) -> None:
        changes = {name: form.cleaned_data[name] for name in form.changed_data if name in FIELDS}
        if not change:
            obj.save()  # a brand's first settings row; the values below are then recorded
        brand_settings_update(brand=obj.brand, by=request.user, changes=changes)


@admin.register(BrandSettingsChange)
class BrandSettingsChangeAdmin(admin.ModelAdmin):
    list_display = ["brand", "at", "by"]
    list_filter = ["brand"]
    readonly_fields = ["brand", "at", "by", "changes"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Score)
class ScoreAdmin(admin.ModelAdmin):
    list_display = ["submission", "overall", "passed", "engine_version", "is_current", "scored_at"]
    list_filter = ["engine_version", "passed", "is_current"]
    raw_id_fields = ["submission", "checklist"]

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(BenchmarkSnapshot)
class BenchmarkSnapshotAdmin(admin.ModelAdmin):
    """Read-only: snapshots are written by the refresh task, never edited by hand."""

    list_display = ["brand", "period", "period_kind", "dimension", "n_audits", "built_at"]
    list_filter = ["brand", "period_kind", "dimension"]
    search_fields = ["period"]
    readonly_fields = ["brand", "period", "period_kind", "dimension", "n_audits", "built_at"]
    exclude = ["data", "summary", "shopper_leniency"]  # megabytes for a large brand

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
