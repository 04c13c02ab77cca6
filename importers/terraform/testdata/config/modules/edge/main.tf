# Module instantiated with for_each: state records its resources under
# module.edge["eu"] while dependencies name module.edge (no key).
variable "site" {
  type = string
}

resource "terraform_data" "leaf" {
  input = "edge-${var.site}"
}

output "leaf_id" {
  value = terraform_data.leaf.id
}
