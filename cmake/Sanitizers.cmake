# HR_SANITIZE=ON builds everything with ASan and UBSan; UBSan findings abort
# so that a test that triggers one fails.
if(HR_SANITIZE)
  add_compile_options(-fsanitize=address,undefined -fno-sanitize-recover=all
                      -fno-omit-frame-pointer -g)
  add_link_options(-fsanitize=address,undefined)
endif()
