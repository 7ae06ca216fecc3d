/* The embedded default policy: policy/default.yaml, NUL-terminated. */
	.section .rodata
	.global hx_default_policy
	.type hx_default_policy, @object
hx_default_policy:
	.incbin "policy/default.yaml"
	.byte 0
	.size hx_default_policy, . - hx_default_policy
	.section .note.GNU-stack,"",@progbits
