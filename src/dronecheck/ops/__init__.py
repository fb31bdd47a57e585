"""Running dronecheck as a service: log lines (`logs`), nightly schedules (`schedule`) and what a bug
report needs (`doctor`)."""
