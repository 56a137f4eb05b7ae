-- wrk: authenticated GET of the path given on the command line.
wrk.headers["Authorization"] = "Bearer " .. os.getenv("LINLI_TOKEN")
