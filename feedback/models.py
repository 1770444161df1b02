# Call-backs and feedback requests arrive with the close-out issue (stage 4, "Record
# call-back", "Request feedback"); the app is installed now so its migrations start here.
