# Fixture configuration, first apply (state v1.tfstate).
# Only the built-in terraform_data resource, the built-in
# terraform_remote_state data source and local modules are used, so
# `terraform init` needs no provider download.

data "terraform_remote_state" "upstream" {
  backend = "local"
  config = {
    path = "${path.module}/../upstream/terraform.tfstate"
  }
}

resource "terraform_data" "network" {
  input = {
    name   = "core-net"
    cidr   = "10.0.0.0/16"
    region = data.terraform_remote_state.upstream.outputs.region
  }
}

resource "terraform_data" "web" {
  count            = 3
  input            = "web-${count.index}"
  triggers_replace = [terraform_data.network.id]
}

resource "terraform_data" "bucket" {
  for_each = {
    logs            = "logs"
    assets          = "assets"
    "team \"blue\"" = "quoted"
    "tmpl-$${env}"  = "template"
    "ünï/cøde"      = "unicode"
  }
  input      = each.value
  depends_on = [terraform_data.web]
}

resource "terraform_data" "credentials" {
  input = {
    user     = "admin"
    password = sensitive("hunter2")
  }
}

module "a" {
  source   = "../modules/app"
  prefix   = "a"
  upstream = terraform_data.network.id
}

module "b" {
  source   = "../modules/app"
  prefix   = "b"
  upstream = module.a.gateway_id
}

module "edge" {
  source   = "../modules/edge"
  for_each = toset(["eu", "us"])
  site     = each.key
}

resource "terraform_data" "dns" {
  input = [for m in module.edge : m.leaf_id]
}

resource "terraform_data" "monitor" {
  input      = [for b in terraform_data.bucket : b.id]
  depends_on = [module.b]
}

output "network_id" {
  value = terraform_data.network.id
}

output "web_ids" {
  value = terraform_data.web[*].id
}

output "credentials" {
  value     = terraform_data.credentials.output
  sensitive = true
}
