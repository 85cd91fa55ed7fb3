# Times R survey's svyby(..., svymean) on the data written by bench_survey.py.
# Usage: Rscript benchmarks/bench_survey.R data.csv   (prints "seconds=<elapsed>")
suppressMessages(library(survey))
args <- commandArgs(trailingOnly = TRUE)
df <- read.csv(args[1])
vars <- grep("^v", names(df), value = TRUE)
d <- svydesign(id = ~psu, strata = ~stratum, weights = ~w, data = df)
f <- as.formula(paste("~", paste(vars, collapse = "+")))
t0 <- proc.time()[["elapsed"]]
r <- svyby(f, ~domain, d, svymean)
el <- proc.time()[["elapsed"]] - t0
cat(sprintf("seconds=%.3f\n", el))
cat(sprintf("check_se=%.10g\n", SE(r)[1, 1]))
