"""Running Prefect for Banfa: the local server `banfa up` starts, and Banfa's worker, which runs flow runs in its
own process.

The worker loads the flow by its entrypoint string, as Prefect does, so that engine never imports `flows`.
"""
