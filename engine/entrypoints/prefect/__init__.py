"""Running Prefect for Banfa: the local server and workers `banfa up` starts, the warm zygote and its launcher.

The zygote loads the flow by its entrypoint string, as Prefect does, so that engine never imports `flows`.

Keep this package's imports light: the launcher runs in a fresh Python for every flow run.
"""
