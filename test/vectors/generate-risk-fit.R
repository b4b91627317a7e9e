# Generates the reference vector for risk/irls.ts: a synthetic contact dataset drawn from a
# known logistic model with a fixed seed, and R's own maximum-likelihood fit of it
# (glm, family = binomial: iteratively reweighted least squares with a QR solve).
# The tests only read the two files it writes; R is needed only to regenerate them:
#
#   apt-get install -y r-base-core
#   Rscript test/vectors/generate-risk-fit.R      (from the repository root)
#
# Writes test/vectors/risk-fit-dataset.csv and test/vectors/risk-fit-reference.json.

options(digits = 17)
set.seed(20260101, kind = "Mersenne-Twister", normal.kind = "Inversion", sample.kind = "Rejection")

n <- 2000
# The model the data come from: P(infected) = 1 / (1 + exp(-eta)),
# eta = b0 + b1 rssi_dbm + b2 contact_s + b3 checkin_gap_s + b4 survival_h.
true_beta <- c(intercept = 3.0, rssi_dbm = 0.06, contact_s = 0.0008, checkin_gap_s = -0.0003, survival_h = 0.015)

surfaces <- c("aerosol", "copper", "cardboard", "other", "steel", "plastic")
survival <- c(aerosol = 3, copper = 4, cardboard = 24, other = 30, steel = 48, plastic = 72)

rssi_dbm <- round(runif(n, -95, -45))
contact_s <- pmin(round(rexp(n, 1 / 900)), 7200)
checkin_gap_s <- round(runif(n, 0, 7200))
surface <- sample(surfaces, n, replace = TRUE)
survival_h <- unname(survival[surface])
eta <- true_beta[["intercept"]] + true_beta[["rssi_dbm"]] * rssi_dbm + true_beta[["contact_s"]] * contact_s +
  true_beta[["checkin_gap_s"]] * checkin_gap_s + true_beta[["survival_h"]] * survival_h
infected <- rbinom(n, 1, 1 / (1 + exp(-eta)))

dataset <- data.frame(rssi_dbm, contact_s, checkin_gap_s, surface, infected)
csv <- file.path("test", "vectors", "risk-fit-dataset.csv")
write.csv(dataset, csv, row.names = FALSE, quote = FALSE)

# Fit what was written, read back, so both tools see the same numbers.
d <- read.csv(csv)
d$survival_h <- unname(survival[d$surface])
fit <- glm(infected ~ rssi_dbm + contact_s + checkin_gap_s + survival_h, family = binomial(link = "logit"), data = d,
  control = glm.control(epsilon = 1e-14, maxit = 100))
s <- summary(fit)$coefficients
keys <- c("intercept", "rssi_dbm", "contact_s", "checkin_gap_s", "survival_h")
num <- function(x) sprintf("%.17g", x)
obj <- function(v) paste0("{", paste(sprintf('"%s": %s', keys, num(v)), collapse = ", "), "}")

json <- paste0(
  "{\n",
  '  "tool": "', R.version.string, ', stats::glm(family = binomial(link = \\"logit\\")), epsilon 1e-14",\n',
  '  "dataset": "risk-fit-dataset.csv",\n',
  '  "rows": ', nrow(d), ",\n",
  '  "infected": ', sum(d$infected), ",\n",
  '  "seed": 20260101,\n',
  '  "trueCoefficients": ', obj(true_beta), ",\n",
  '  "coefficients": ', obj(unname(coef(fit))), ",\n",
  '  "stderr": ', obj(unname(s[, 2])), ",\n",
  '  "logLikelihood": ', num(as.numeric(logLik(fit))), ",\n",
  '  "deviance": ', num(deviance(fit)), ",\n",
  '  "nullDeviance": ', num(fit$null.deviance), ",\n",
  '  "iterations": ', fit$iter, ",\n",
  '  "converged": ', tolower(as.character(fit$converged)), "\n",
  "}\n")
writeLines(json, file.path("test", "vectors", "risk-fit-reference.json"), sep = "")
cat(json)
