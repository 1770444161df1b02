# Complaints that run beside a job arrive with their own issue (stage 3, "Log complaint",
# "Escalate"); the app is installed now so its migrations start from the foundation.
