# Reference numbers for PPS designs in the analysis: R's svydesign(pps=) on election_pps
# (survey's data(election): 40 counties drawn with probability proportional to size).
#   brewer   svydesign(id=~1, fpc=~p, pps="brewer")     Brewer's approximation
#   overton  svydesign(id=~1, fpc=~p, pps="overton")    Overton's approximation
#   ht, yg   svydesign(id=~1, fpc=~p, pps=ppsmat(election_jointprob), variance="HT"|"YG")
# Run from the repository root:  Rscript tests/reference/survey/make_fixtures_pps.R
# Writes election_jointprob.csv (the 40 x 40 joint inclusion probabilities, rows in the order
# of election.csv) and fixtures_pps.csv (case, variable, domain, level, quantity, value).
suppressMessages(library(survey))
outdir <- "tests/reference/survey"
data(election)
rows <- list()
add <- function(case, quantity, value, variable = "", domain = "", level = "") {
  rows[[length(rows) + 1]] <<- data.frame(
    case = case, variable = variable, domain = as.character(domain),
    level = as.character(level), quantity = quantity, value = as.numeric(value)
  )
}
add_stat <- function(case, est, variable, domain = "") {
  add(case, "estimate", coef(est), variable, domain)
  add(case, "se", SE(est), variable, domain)
}
el <- election_pps
el$kerry_win <- as.integer(el$Kerry > el$Bush)
write.csv(unname(election_jointprob), file.path(outdir, "election_jointprob.csv"), row.names = FALSE)
designs <- list(
  brewer = svydesign(id = ~1, fpc = ~p, data = el, pps = "brewer"),
  overton = svydesign(id = ~1, fpc = ~p, data = el, pps = "overton"),
  ht = svydesign(id = ~1, fpc = ~p, data = el, pps = ppsmat(election_jointprob)),
  yg = svydesign(id = ~1, fpc = ~p, data = el, pps = ppsmat(election_jointprob), variance = "YG")
)
for (case in names(designs)) {
  d <- designs[[case]]
  for (v in c("Bush", "Kerry", "Nader")) {
    add_stat(case, svytotal(as.formula(paste0("~", v)), d), paste0("total:", v))
    add_stat(case, svymean(as.formula(paste0("~", v)), d), paste0("mean:", v))
  }
  r <- svyratio(~Kerry, ~votes, d)
  add(case, "estimate", coef(r), "ratio:Kerry/votes")
  add(case, "se", SE(r), "ratio:Kerry/votes")
  big <- subset(d, TotPrecincts > 500)
  add_stat(case, svytotal(~Kerry, big), "total:Kerry", "TotPrecincts>500")
  add_stat(case, svymean(~Kerry, big), "mean:Kerry", "TotPrecincts>500")
}
out <- do.call(rbind, rows)
write.csv(out, file.path(outdir, "fixtures_pps.csv"), row.names = FALSE)

# ---------------------------------------------------------------- two-stage Brewer (apiclus2)
# Districts as PSUs with unequal (made-up, deterministic) first-stage probabilities and schools
# as SSUs with their sampling fraction: svydesign(id=~dnum+snum, fpc=~pi1+pi2, pps="brewer").
ac2 <- read.csv(file.path(outdir, "apiclus2.csv"))
ac2$pi1 <- 40 / 757 * (0.5 + (ac2$dnum %% 7) / 6)
ac2$pi2 <- ave(ac2$snum, ac2$dnum, FUN = length) / ac2$fpc2
write.csv(ac2[, c("dnum", "snum", "pi1", "pi2", "api00", "enroll", "stype")],
          file.path(outdir, "apiclus2_pps.csv"), row.names = FALSE)
d2 <- svydesign(id = ~dnum + snum, fpc = ~pi1 + pi2, data = ac2, pps = "brewer")
add_stat("brewer2", svytotal(~enroll, d2, na.rm = TRUE), "total:enroll")
add_stat("brewer2", svymean(~api00, d2), "mean:api00")
add_stat("brewer2", svymean(~api00, subset(d2, stype == "E")), "mean:api00", "stype=E")
out <- do.call(rbind, rows)
write.csv(out, file.path(outdir, "fixtures_pps.csv"), row.names = FALSE)
