# hr_warnings(target): the project's warning set; -Werror when HR_WERROR.
function(hr_warnings target)
  target_compile_options(${target} PRIVATE
    -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wformat=2
    -Wno-unused-parameter)
  if(HR_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()
