# A separate root module whose state the main configuration reads through a
# terraform_remote_state data source, so the fixture state contains a
# data-mode resource and a dependency on it (both must be skipped).
output "region" {
  value = "eu-west-1"
}
