# Local module used twice by the root (module.a and module.b), with a
# counted resource and a nested module.
variable "prefix" {
  type = string
}

variable "upstream" {
  type = string
}

resource "terraform_data" "svc" {
  count = 2
  input = "${var.prefix}-svc-${count.index}"
}

module "sub" {
  source = "./modules/sub"
  parent = terraform_data.svc[0].id
}

resource "terraform_data" "gateway" {
  input = {
    upstream = var.upstream
    leaf     = module.sub.leaf_id
  }
  triggers_replace = terraform_data.svc[*].id
}

output "gateway_id" {
  value = terraform_data.gateway.id
}
