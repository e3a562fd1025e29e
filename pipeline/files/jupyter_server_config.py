# JupyterLab server settings shared by every image. Token auth stays on (JUPYTER_TOKEN sets it).
c = get_config()  # noqa: F821
c.ServerApp.ip = "0.0.0.0"
c.ServerApp.open_browser = False
c.ServerApp.allow_remote_access = True
c.ServerApp.terminado_settings = {"shell_command": ["/bin/bash"]}
