/*
 * torch_shim_blob.S — the libtorch shim's shared object (built from
 * torch_shim.cpp by the Makefile), embedded in the forecast binary as
 * read-only data; torch_loader.c loads it on the first MLP call.
 * SHIM_SO is the path of the .so, given by the Makefile.
 */
    .section .rodata
    .balign 64
    .global fc_torch_shim_so
    .type fc_torch_shim_so, @object
fc_torch_shim_so:
    .incbin SHIM_SO
    .global fc_torch_shim_so_end
    .type fc_torch_shim_so_end, @object
fc_torch_shim_so_end:
    .byte 0
    .section .note.GNU-stack, "", @progbits
