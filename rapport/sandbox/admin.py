from django.contrib import admin

from rapport.sandbox.models import SandboxAccount, SandboxStatus, ScenarioRun, SimulatedCustomer


@admin.register(SandboxAccount)
class SandboxAccountAdmin(admin.ModelAdmin[SandboxAccount]):
    list_display = ("username", "display_name", "is_brand", "created_at")
    search_fields = ("username", "display_name")
    exclude = ("token_hash",)


@admin.register(SandboxStatus)
class SandboxStatusAdmin(admin.ModelAdmin[SandboxStatus]):
    list_display = ("id", "account", "visibility", "created_at")
    list_filter = ("visibility",)
    raw_id_fields = ("account", "in_reply_to", "thread_root", "reblog_of", "mentions")


@admin.register(ScenarioRun)
class ScenarioRunAdmin(admin.ModelAdmin[ScenarioRun]):
    list_display = ("scenario", "seed", "status", "sim_now", "step", "posts_made")


@admin.register(SimulatedCustomer)
class SimulatedCustomerAdmin(admin.ModelAdmin[SimulatedCustomer]):
    list_display = ("account", "persona", "mood", "escalations", "last_outcome")
    list_filter = ("persona",)
