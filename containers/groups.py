"""The groups every install starts with, and the Container permissions each holds.

Read by the migration that creates them and by the tests that rebuild them.
"""

GROUPS = {
    "viewers": ["view_container"],
    "operators": ["view_container", "change_container"],
    "administrators": ["view_container", "change_container", "add_container", "delete_container",
                       "download_backup"],
}

# What the groups hold of the operations app's permissions (its own migration gives them):
# administrators see the whole audit log and may cancel anyone's operation.
OPERATIONS_GROUPS = {
    "administrators": ["view_event", "change_operation"],
}
