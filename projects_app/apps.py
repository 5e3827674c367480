from django.apps import AppConfig


class ProjectsAppConfig(AppConfig):
    name = "projects_app"
    verbose_name = "Projects"

    def ready(self):
        from django.db.models.signals import m2m_changed, post_delete, post_save

        from projects_app.list_cache import project_list_version_renew
        from projects_app.models import Project, Workspace

        # The API's cached project lists (list_cache.py) are read anew after any change
        # of a project, a workspace or its members.
        for signal in (post_save, post_delete):
            for model in (Project, Workspace):
                signal.connect(project_list_version_renew, sender=model)
        m2m_changed.connect(project_list_version_renew, sender=Workspace.members.through)
