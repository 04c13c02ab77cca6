# Nested module: its resources appear as module.<x>.module.sub.* in state.
variable "parent" {
  type = string
}

resource "terraform_data" "leaf" {
  input = var.parent
}

output "leaf_id" {
  value = terraform_data.leaf.id
}
