"""The instructors' materials folder: read-only for participants, writable in admins' servers.

Every server mounts the materials volume read-only (the chart's singleuser.storage.extraVolumeMounts).
`admin_writable_mount(volume_name)` makes the Spawner pre_spawn_hook that turns that one mount writable
in the server of an admin user (JupyterHub's `user.admin`), so instructors put material there from
their own server and participants can read but not change or delete it.

KubeSpawner 7 (Zero-to-JupyterHub 4.x) holds `volume_mounts` as a dict (key -> mount) or as a list;
both are handled. The spawner gets a changed copy: the configured value is shared by every spawner
and must stay read-only for everyone else.
"""


def writable_copy(volume_mounts, volume_name):
    """volume_mounts with the mount(s) of volume_name made writable; everything else as it was."""

    def writable(mount):
        if mount.get("name") == volume_name:
            return dict(mount, readOnly=False)
        return mount

    if isinstance(volume_mounts, dict):
        return {key: writable(mount) for key, mount in volume_mounts.items()}
    return [writable(mount) for mount in volume_mounts]


def admin_writable_mount(volume_name):
    """A pre_spawn_hook giving admins a writable mount of volume_name."""

    def pre_spawn_hook(spawner):
        if not spawner.user.admin:
            return
        spawner.volume_mounts = writable_copy(spawner.volume_mounts, volume_name)
        spawner.log.info("esiphub: %s may write the %s mount (admin)", spawner.user.name, volume_name)

    return pre_spawn_hook
